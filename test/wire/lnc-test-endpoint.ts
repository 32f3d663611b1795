/**
 * The test LNC endpoint (litd's side of a session) now lives in simnet
 * (packages/simnet/src/lnc/endpoint.ts), which serves its simulated LND nodes with it; the
 * tests import it from here as before.
 */
export * from '../../packages/simnet/src/lnc/endpoint.ts';
