/** Made at build time by build/mnist-subset-plugin.ts. */
declare module 'virtual:mnist-subset' {
  /** Image side (28). */
  export const side: number;
  /** Digits per class. */
  export const perDigit: number;
  /** The last digits of each class that form the held-out split. */
  export const heldOutPerDigit: number;
  /** Where the digits come from. */
  export const source: string;
  /** 8-bit pixels of every digit, class by class, base64. */
  export const pixels: string;
  /** The class of every digit, base64 bytes. */
  export const labels: string;
}
