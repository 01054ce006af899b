/**
 * Networks: the plug-in interfaces (Segmentor, MultiScaleSegmentor, Generator, Discriminator)
 * and the architectures (UNet, PyramidUNet, ResUNetGenerator, PatchGANDiscriminator, and the
 * pix2pix ResNetGenerator of the PyTorch speed comparison), and `foldBatchNorm` for inference.
 * @module
 */
export * from "./discriminator.ts";
export * from "./fold_batch_norm.ts";
export * from "./generator.ts";
export * from "./module.ts";
export * from "./module_base.ts";
export * from "./norm_kind.ts";
export * from "./patchgan_discriminator.ts";
export * from "./pyramid_unet.ts";
export * from "./resnet_generator.ts";
export * from "./resunet_generator.ts";
export * from "./sdm_unet.ts";
export * from "./segmentor.ts";
export * from "./unet.ts";

// Types of other packages that the networks' signatures use.
export { Rng, type RngState } from "../engine/rng.ts";
export type { AnyVariable, FeatureBatch, ImageBatch, LogitBatch } from "../engine/tensor_types.ts";
