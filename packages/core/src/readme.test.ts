import { expect, it } from 'vitest';
import {
  JsonMemo,
  type JsonObject,
  type Serializable,
  SysError,
  sealJson,
  type ToJsonOptions,
} from './index.js';

it('the README example works as written', () => {
  class Counter implements Serializable<JsonObject> {
    #n = 0;
    readonly #json = new JsonMemo<JsonObject>();
    bump(): void {
      this.#n++;
    }
    toJson(options?: ToJsonOptions): JsonObject {
      return this.#json.get(options, this.#n, () => ({ count: this.#n }));
    }
  }

  const c = new Counter();
  expect(c.toJson()).toBe(c.toJson());
  const before = c.toJson();
  c.bump();
  expect(c.toJson()).not.toBe(before);
  expect(c.toJson()).toEqual({ count: 1 });
  let error: unknown;
  try {
    sealJson({ price: Number.NaN });
  } catch (e) {
    error = e;
  }
  expect(SysError.isInstance(error)).toBe(true);
  expect((error as SysError).code).toBe('JSON_VALUE');
  expect((error as SysError).message).toContain('the number NaN at /price');
});
