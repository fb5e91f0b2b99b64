import { settleParameters } from '../../functions/lifetimes/config.ts';
import { PARAMETERS, isParameterName } from '../../functions/lifetimes/parameters.ts';
import { table } from '../format.ts';
import { EXIT, UsageError } from '../io.ts';
import { loadParameters, printJson, relativeIn, scopeOf, whereFrom, type Command } from './context.ts';

/**
 * `get [<name>]`: the values stored in SSM, as stored, each with whether the service accepts it
 * (the same check the functions apply on every load).
 */
export const get: Command = async ({ args, ssm, output }) => {
  const scope = scopeOf(args);
  const [name] = args.operands;
  if (name !== undefined && !isParameterName(name)) throw new UsageError(`unknown parameter ${JSON.stringify(name)}`);
  const raw = await loadParameters({ args, ssm });
  const { rejections } = settleParameters(raw, new Map());
  const reasons = new Map<string, string>();
  for (const rejection of rejections) reasons.set(rejection.name, [reasons.get(rejection.name), rejection.reason].filter(Boolean).join('; '));

  if (name !== undefined) {
    const relative = relativeIn(name, scope);
    const value = raw.get(relative);
    const reason = reasons.get(relative);
    if (args.json) {
      printJson(output, { name: relative, value: value ?? null, default: PARAMETERS[name].default, ...(reason !== undefined && { rejected: reason }) });
    } else if (value === undefined) {
      output.out(`${relative} is not set (default ${String(PARAMETERS[name].default)})`);
    } else {
      output.out(reason === undefined ? value : `${value}\t(rejected by the service: ${reason})`);
    }
    return EXIT.ok;
  }

  const prefix = scope.scope === 'global' ? '' : relativeIn('', scope);
  const entries = [...raw].filter(([relative]) => relative.startsWith(prefix)).sort(([a], [b]) => a.localeCompare(b));
  if (args.json) {
    printJson(
      output,
      entries.map(([relative, value]) => ({ name: relative, value, ...(reasons.has(relative) && { rejected: reasons.get(relative) }) })),
    );
    return EXIT.ok;
  }
  if (entries.length === 0) {
    output.out(`nothing set under ${whereFrom(args)}${prefix}: the service uses its defaults (see explain)`);
    return EXIT.ok;
  }
  output.out(
    table([
      ['NAME', 'VALUE', 'STATUS'],
      ...entries.map(([relative, value]) => {
        const reason = reasons.get(relative);
        return [relative, value, reason === undefined ? 'ok' : `rejected: ${reason}`];
      }),
    ]),
  );
  return EXIT.ok;
};
