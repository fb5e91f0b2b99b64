/**
 * Helpers for cdk-nag 3 acknowledgements, which name a granular finding by the flattened text
 * of the resource (`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:…]`).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The text cdk-nag shows for a resolved value: `Ref`s as `<Name>`, `Fn::Join`s joined. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    if ('Ref' in value) return `<${flatten(value.Ref)}>`;
    if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) {
      const [resource, attribute] = value['Fn::GetAtt'];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
      const [delimiter, items] = value['Fn::Join'];
      if (typeof delimiter === 'string' && Array.isArray(items)) return items.map(flatten).join(delimiter);
    }
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges one wildcard resource of an IAM policy under `scope` (its AwsSolutions-IAM5
 * finding), with the reason it is as narrow as it can be.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const text = flatten(Stack.of(scope).resolve(resourceArn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${text}]`, reason });
}
