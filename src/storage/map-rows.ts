/**
 * What a stored map costs its site's quota, in both engines: the key's UTF-8 bytes plus its JSON
 * text's. SQLite and PostgreSQL both read octet_length from the row without building the text.
 */
export const MAP_ROW_BYTES_SQL = 'octet_length(key) + octet_length(fields)';

export function mapRowBytes(key: string, fieldsJson: string): number {
  return Buffer.byteLength(key) + Buffer.byteLength(fieldsJson);
}
