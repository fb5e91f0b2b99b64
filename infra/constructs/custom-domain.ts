import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { ApiMapping, DomainName, SecurityPolicy, type IHttpApi, type IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import { assertCertificateArn, assertDomainName } from '../validation.ts';

export interface CustomDomainProps {
  /** e.g. `auth.example.com`; the issuer becomes `https://<domainName>` unless set otherwise. */
  readonly domainName: string;
  /** An ACM certificate for `domainName`, in the stack's region (a regional endpoint). */
  readonly certificateArn: string;
  readonly api: IHttpApi;
  readonly stage: IHttpStage;
}

/**
 * The API under the deployer's own domain: an API Gateway domain name (TLS 1.2 at least) mapped
 * to the stage at the root, so every path is the same as on the default endpoint. DNS stays
 * with the deployer: point a CNAME or alias at {@link CustomDomain.target}.
 */
export class CustomDomain extends Construct {
  readonly domain: DomainName;
  /** The regional host name that the DNS record for `domainName` must point to. */
  readonly target: string;
  /** The Route 53 hosted zone of {@link CustomDomain.target}, for an alias record. */
  readonly targetHostedZoneId: string;

  constructor(scope: Construct, id: string, props: CustomDomainProps) {
    super(scope, id);
    assertDomainName(props.domainName);
    assertCertificateArn(props.certificateArn);
    this.domain = new DomainName(this, 'Domain', {
      domainName: props.domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    new ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domain, stage: props.stage });
    this.target = this.domain.regionalDomainName;
    this.targetHostedZoneId = this.domain.regionalHostedZoneId;
  }
}
