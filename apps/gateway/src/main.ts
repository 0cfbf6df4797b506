import 'reflect-metadata';
import { runWorkerProcess } from '../../api/src/runtime/worker-process';

/** The execution gateway as its own process; run one instance (it owns the venue sessions). */
runWorkerProcess('gateway');
