import type { Storage } from '../port.ts';

/** One store under test. `openAnother` opens a second handle on the same data, as a second node would. */
export interface StorageFixture {
  storage: Storage;
  openAnother(): Promise<Storage>;
  /** Closes every handle and deletes the data. */
  cleanup(): Promise<void>;
}

export type StorageFactory = () => Promise<StorageFixture>;
