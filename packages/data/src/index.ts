/**
 * @flatsparse/data: data sets for flatsparse runs (MNIST, Moby Dick bytes, synthetic tasks, your own
 * .npy images, image folders, nanoGPT token files, text files with a byte or GPT-2 tokenizer).
 * Nothing loads on import: every factory reads its data when called.
 */
export { BYTE_VOCABULARY, byteWindowDataset, type ByteWindowMeta, type ByteWindowOptions, type WindowedTextDataset } from './byte-windows.js';
export { DATA_SOURCES, datasetConfigSchema, datasetConfigVariants, datasetFromConfig, type DataSourceName, type DatasetConfig } from './config.js';
export { decodeImage, imageFolderDataset, imageFolderOptionsSchema, loadImageDecoders, type ImageFolderDataset, type ImageFolderOptions } from './image-folder.js';
export { imageArrayDataset, imageArrayOptionsSchema, type ImageArrayOptions, type InMemoryArray } from './image-array.js';
export { gatherSplit, makeSplit } from './make-split.js';
export { loadMnistDigits, mnistDataset, mnistOptionsSchema, type MnistDigits, type MnistOptions } from './mnist.js';
export { loadMobyDickBytes, mobyDickDataset, mobyDickOptionsSchema, type MobyDickOptions } from './moby-dick.js';
export { parseNpy, readNpy, type NpyArray, type NpyDtype } from './npy.js';
export { seededPermutation, splitIndices, type SplitIndices } from './split-indices.js';
export { syntheticImageDataset, syntheticImageOptionsSchema, type SyntheticImageDataset, type SyntheticImageOptions } from './synthetic-image.js';
export { syntheticTextDataset, syntheticTextOptionsSchema, type SyntheticTextDataset, type SyntheticTextOptions } from './synthetic-text.js';
export { firstInvalidUtf8, GPT2_VOCABULARY, textDataset, textOptionsSchema, type TextOptions } from './text.js';
export { tokenFileDataset, tokenFileOptionsSchema, type TokenFileDataset, type TokenFileOptions } from './token-file.js';
export { textFileDataset, textFileOptionsSchema, type TextFileOptions } from './text-files.js';
