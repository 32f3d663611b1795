/**
 * The test LNC mailbox now lives in simnet (packages/simnet/src/lnc/mailbox.ts), which serves
 * LNC for its simulated LND nodes too; the tests import it from here as before.
 */
export * from '../../packages/simnet/src/lnc/mailbox.ts';
