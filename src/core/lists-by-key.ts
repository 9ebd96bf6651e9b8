/**
 * Appends `item` to the list under `key` (a new list for a new key). In place: building the list
 * anew per item (`[...(map.get(key) ?? []), item]`) is quadratic in the items of one key.
 */
export function pushTo<K, T>(lists: Map<K, T[]>, key: K, item: T): void {
  const list = lists.get(key);
  if (list) list.push(item);
  else lists.set(key, [item]);
}
