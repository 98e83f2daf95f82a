/** Thrown inside a segment when the worker was asked to stop (Ctrl-C): the lease is released. */
export class StopRequested extends Error {}
