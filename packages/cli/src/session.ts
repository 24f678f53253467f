import {
  loadConfig,
  parseConfig,
  type SessionConfig,
  SystemManager,
  SystemStateError,
  sampleConfig,
} from '@sys/system-manager';
import { NoSessionError } from './errors.js';

/** Makes the manager for a config (tests inject clocks or fakes here). */
export type ManagerFactory = (config: SessionConfig) => SystemManager;

/** Options of a CLI session. */
export interface CliSessionOptions {
  /** Default: `new SystemManager(config)`. */
  readonly createManager?: ManagerFactory;
  /** Told when a started run ends on its own or fails, while the user may be typing. */
  readonly notify?: (text: string, failed: boolean) => void;
}

const ACTIVE = new Set(['starting', 'running', 'paused']);

/**
 * What the shell holds between commands: at most one SystemManager, made by the first `system start` or
 * `backtest run`; later ones start a new run of it. It stays for `system json` and `status` after a run ends.
 */
export class CliSession {
  /** The consumer name `system json` diffs against unless `--consumer` says otherwise. */
  static readonly consumer = 'cli';
  #manager: SystemManager | undefined;
  readonly #create: ManagerFactory;
  readonly #notify: (text: string, failed: boolean) => void;

  constructor(options: CliSessionOptions = {}) {
    this.#create = options.createManager ?? ((config) => new SystemManager(config));
    this.#notify = options.notify ?? (() => {});
  }

  /** The current manager, if a session was started. */
  get manager(): SystemManager | undefined {
    return this.#manager;
  }

  /** Whether a run is starting, running or paused. */
  get active(): boolean {
    return this.#manager !== undefined && ACTIVE.has(this.#manager.state);
  }

  /** The manager, or a NoSessionError naming the command that needed it. */
  require(command: string): SystemManager {
    if (this.#manager === undefined) throw new NoSessionError(command);
    return this.#manager;
  }

  /** The config of a file, or the bundled AAPL sample without one; `speed` overrides the config's. */
  async config(file: string | undefined, speed: number | 'max' | undefined): Promise<SessionConfig> {
    const config = file === undefined ? sampleConfig() : await loadConfig(file);
    return speed === undefined
      ? config
      : parseConfig({ ...config, speed }, { source: file ?? 'sample config' });
  }

  /** Starts a run of `config`; refused while another run is active. */
  async start(config: SessionConfig, command: string): Promise<SystemManager> {
    if (this.active) {
      throw new SystemStateError(
        `${command} a new session`,
        String(this.#manager?.state),
        '`system stop` it first',
      );
    }
    // One manager for the whole shell: a new session is a new run of it, so consumers see `epoch_changed`
    // and their seq goes on, instead of a new manager that starts them again at 1.
    let manager = this.#manager;
    if (manager === undefined) {
      manager = this.#create(config);
      await manager.start();
      this.#manager = manager;
    } else {
      await manager.start(config);
    }
    manager.done().then(
      () => {
        if (this.#manager === manager && manager.progress().ended)
          this.#notify('session ended: the backtest window is replayed', false);
      },
      (error: unknown) => {
        if (this.#manager === manager) this.#notify(`session failed: ${(error as Error).message}`, true);
      },
    );
    return manager;
  }

  /** Stops an active run (on exit, Ctrl-D, EOF). */
  async close(): Promise<void> {
    if (this.#manager !== undefined && this.active) await this.#manager.stop();
  }
}
