import { verifierSuite } from './local-server-suite.ts';

verifierSuite('ES256');
