import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** Small, explicit AttributeValue helpers: the store's items are flat and typed by hand. */
export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });
export const bool = (value: boolean): AttributeValue => ({ BOOL: value });
/** A list of strings; DynamoDB has no empty string sets, so lists are used. */
export const strings = (values: readonly string[]): AttributeValue => ({ L: values.map(s) });

type Item = Record<string, AttributeValue>;

export function readString(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new TypeError(`item attribute ${name} is not a string`);
  return value;
}

export function readOptionalString(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

export function readNumber(item: Item, name: string): number {
  const value = item[name]?.N;
  if (value === undefined) throw new TypeError(`item attribute ${name} is not a number`);
  return Number(value);
}

export function readOptionalNumber(item: Item, name: string): number | undefined {
  const value = item[name]?.N;
  return value === undefined ? undefined : Number(value);
}

export function readBoolean(item: Item, name: string): boolean {
  return item[name]?.BOOL === true;
}

export function readStrings(item: Item, name: string): string[] {
  return (item[name]?.L ?? []).map((value) => {
    if (value.S === undefined) throw new TypeError(`item attribute ${name} holds a non-string`);
    return value.S;
  });
}

/** A list of strings, or undefined when the item has no such attribute. */
export function readOptionalStrings(item: Item, name: string): string[] | undefined {
  return item[name] === undefined ? undefined : readStrings(item, name);
}

/** A JSON document kept in a string attribute, or undefined when the item has none. */
export function readOptionalJson<T>(item: Item, name: string): T | undefined {
  const raw = item[name]?.S;
  return raw === undefined ? undefined : (JSON.parse(raw) as T);
}
