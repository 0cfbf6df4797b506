import 'reflect-metadata';
import { runWorkerProcess } from '../../api/src/runtime/worker-process';

/** The projector and the account ledger as their own process (one instance of each should run). */
runWorkerProcess('projector,ledger');
