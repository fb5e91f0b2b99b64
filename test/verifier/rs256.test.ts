import { verifierSuite } from './local-server-suite.ts';

verifierSuite('RS256');
