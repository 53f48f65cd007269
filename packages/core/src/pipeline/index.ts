/** Pipelines composed from code: data, plugins, backend, model and trainer in one call. */
export { buildModel, resolveModel, type ModelSpec, type ResolvedModel } from './build-model.js';
export { runPipeline, type PipelineResult, type PipelineSpec, type TrainSettings } from './run-pipeline.js';
