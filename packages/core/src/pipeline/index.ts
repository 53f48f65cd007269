/** Pipelines composed from code: data, plugins, backend, model and trainer in one call. */
export { buildModel, modelTable, resolveModel, type ModelSpec, type ResolvedModel } from './build-model.js';
export { composePipeline, type ComposedPipeline, type PipelineParts } from './compose-pipeline.js';
export { evaluatePipeline, type EvaluateOptions } from './evaluate-pipeline.js';
export { runPipeline, type PipelineResult, type PipelineSpec, type TrainSettings } from './run-pipeline.js';
export { estimateMemory, type MemoryEstimate } from './memory-estimate.js';
