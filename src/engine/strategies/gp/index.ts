/** Gaussian-process regression for model-based explore (PB2). */
export {
  fitTimeVaryingGp,
  GaussianProcess,
  ucbArgmax,
  type Prediction,
  type TimeVaryingFitOptions,
} from './gaussian-process.js';
export {
  timeVaryingKernel,
  type GpPoint,
  type Kernel,
  type TimeVaryingKernelParams,
} from './kernel.js';
