import type { Storage } from '../port.ts';

/** One store under test. `openAnother` opens a second handle on the same data, as a second node would. */
export interface StorageFixture {
  storage: Storage;
  openAnother(): Promise<Storage>;
  /** Closes every handle and deletes the data. */
  cleanup(): Promise<void>;
}

/** Adapter settings a contract part needs to set (both adapters take them). */
export interface StorageSettings {
  /** Events one identity may hold. */
  eventsPerIdentity?: number;
}

export type StorageFactory = (settings?: StorageSettings) => Promise<StorageFixture>;
