/** Builds a value on first use and keeps it for the life of the Lambda execution environment. */
export function lazy<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
