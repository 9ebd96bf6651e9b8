/** The command cannot run as given (an option, a file, the store held by a server): exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
