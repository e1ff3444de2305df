// The program's entry point where a Node language host runs it (`pulumi up` in this directory).
import { haPair } from './program.ts';

const pair = haPair();
export const expectedMaster = pair.expectedMaster;
export const liveMaster = pair.liveMaster;
