/**
 * @flatsparse/data: data sets for flatsparse runs (MNIST, Moby Dick bytes, synthetic tasks, your own
 * .npy images and text files). Nothing loads on import: every factory reads its data when called.
 */
export { BYTE_VOCABULARY, byteWindowDataset, type ByteWindowMeta, type ByteWindowOptions, type WindowedTextDataset } from './byte-windows.js';
export { DATA_SOURCES, datasetConfigSchema, datasetConfigVariants, datasetFromConfig, type DataSourceName, type DatasetConfig } from './config.js';
export { imageArrayDataset, imageArrayOptionsSchema, type ImageArrayOptions, type InMemoryArray } from './image-array.js';
export { gatherSplit, makeSplit } from './make-split.js';
export { loadMnistDigits, mnistDataset, mnistOptionsSchema, type MnistDigits, type MnistOptions } from './mnist.js';
export { loadMobyDickBytes, mobyDickDataset, mobyDickOptionsSchema, type MobyDickOptions } from './moby-dick.js';
export { parseNpy, readNpy, type NpyArray, type NpyDtype } from './npy.js';
export { seededPermutation, splitIndices, type SplitIndices } from './split-indices.js';
export { syntheticImageDataset, syntheticImageOptionsSchema, type SyntheticImageDataset, type SyntheticImageOptions } from './synthetic-image.js';
export { syntheticTextDataset, syntheticTextOptionsSchema, type SyntheticTextDataset, type SyntheticTextOptions } from './synthetic-text.js';
export { textFileDataset, textFileOptionsSchema, type TextFileOptions } from './text-files.js';
