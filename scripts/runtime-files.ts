// The files of the bundled runtime: what scripts/build-runtime.ts writes into dist/runtime and the
// provider installs on hosts (provider/core/bundle.ts), all in one directory.

/**
 * The libraries that only some configurations use (SMTP alerts, JSON and YAML configuration, the
 * metrics endpoint), each bundled into a CommonJS file of its own beside keepalive.mjs, so that only
 * a process that uses one reads and compiles it.
 */
export const RUNTIME_LIBRARIES = ['nodemailer', 'prom-client', 'yaml'] as const;

/** The file a library is bundled into: keepalive-yaml.cjs. */
export const libraryFile = (library: string): string => `keepalive-${library}.cjs`;

/** Every file of the bundled runtime: the runtime itself, its socket addon and its libraries. */
export const RUNTIME_FILES: readonly string[] = ['keepalive.mjs', 'keepalive_socket.node', ...RUNTIME_LIBRARIES.map(libraryFile)];
