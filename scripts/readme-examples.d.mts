/** One ```ts block of a README, with the README line its code starts on. */
export interface ReadmeExample {
  readonly code: string;
  readonly line: number;
}

/** Every ```ts block of a markdown text, in order. */
export declare function readmeExamples(markdown: string): ReadmeExample[];

/** The texts of an example's `console.log(…); // → text` lines, in order; throws on a `// →` elsewhere. */
export declare function expectedOutput(example: ReadmeExample): string[];

/** Runs one example from a temp file inside `packageDir`; rejects when it fails or prints otherwise. */
export declare function runReadmeExample(
  example: ReadmeExample,
  packageDir: string,
  timeoutMs?: number,
): Promise<void>;

/** Registers one vitest test per ```ts block of the README at `readme`. */
export declare function testReadmeExamples(readme: URL, options?: { timeoutMs?: number }): void;
