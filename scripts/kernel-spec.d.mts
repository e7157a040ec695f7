// Types of kernel-spec.mjs (a build script in plain JavaScript), for the test that checks
// the files it generates.
export declare const SPEC: string;
export declare const OUTPUTS: { readonly assembly: string; readonly host: string };
export declare function generate(spec: unknown): { assembly: string; host: string };
export declare function writeKernelSpec(root: string): void;
