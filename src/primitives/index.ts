/**
 * The primitive op set. Importing this module registers every primitive; adding a primitive
 * means adding a file here and one import line below.
 */
import './elementwise';
import './shape';
import './reduce';
import './linalg';
import './indexing';
import './conv';
import './split';
import './recurrent';

export * from './types';
export * from './registry';
export { ops, shapeEq, type Ops } from './ops';
