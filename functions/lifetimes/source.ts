/**
 * Port: where the raw lifetime parameters come from (SSM in AWS, a JSON file locally).
 * Adapters: functions/adapters/ssm and functions/adapters/local.
 */
export interface ParameterSource {
  /**
   * Every parameter currently set, as raw strings keyed by relative name: the part after
   * `/lifespan/<stage>/`, e.g. `access_token_ttl` or `clients/web/access_token_ttl`.
   * Values are not validated here; the guardrails do that for every source alike.
   * Rejects when the source cannot be read (throttled, unreachable, unreadable file).
   */
  load(): Promise<Map<string, string>>;
}
