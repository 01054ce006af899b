/**
 * Networks: the plug-in interfaces (Segmentor, MultiScaleSegmentor, Generator, Discriminator)
 * and the paper's architectures (UNet, PyramidUNet, ResUNetGenerator, PatchGANDiscriminator).
 * @module
 */
export * from "./discriminator.ts";
export * from "./generator.ts";
export * from "./module.ts";
export * from "./patchgan_discriminator.ts";
export * from "./pyramid_unet.ts";
export * from "./resunet_generator.ts";
export * from "./segmentor.ts";
export * from "./unet.ts";
