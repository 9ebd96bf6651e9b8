/** The target cannot take the import: unreachable, the key refused, or a batch refused as a whole (exit 3). */
export class TargetError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'unauthorized' | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'TargetError';
  }
}
