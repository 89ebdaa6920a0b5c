// ava for ci/service.test.mts (TypeScript through tsx; .mts so it is ESM whatever your package.json says):
//   npx ava --config ci/ava.config.mjs
export default {
  files: ['ci/**/*.test.mts'],
  extensions: { mts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false, // --import hooks apply to child processes, not to worker threads
  timeout: '2m',
};
