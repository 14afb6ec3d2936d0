/**
 * The boundaries of the code base, checked in CI (`npm run lint`). Each rule says which process
 * a folder runs in and what it may therefore not reach; README's Layout section has the map.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make start-up order and module boundaries impossible to reason about.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'compute-host-has-no-database',
      severity: 'error',
      comment:
        'What runs in `tsnova compute` (compute/, virt/, and the binary that starts it) reaches no database code, not even transitively: compute hosts ask the conductor.',
      from: { path: '^src/(compute|virt)/|^src/cmd/(compute|runtime)\\.ts$' },
      to: { path: '^src/db/', reachable: true },
    },
    {
      name: 'routes-reach-data-through-the-facade',
      severity: 'error',
      comment: 'The HTTP layer of the compute API calls compute-api/ (the facade), never a store.',
      from: { path: '^src/api/' },
      to: { path: '^src/(db|cells)/' },
    },
    {
      name: 'facade-knows-no-http',
      severity: 'error',
      comment: 'compute-api/ is what any front end calls; HTTP details stay in api/.',
      from: { path: '^src/compute-api/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'services-know-no-http',
      severity: 'error',
      comment: 'conductor, scheduler and compute never import an HTTP layer.',
      from: { path: '^src/(conductor|scheduler|compute|virt|cells)/' },
      to: { path: '^src/(api|identity/app|image/app)' },
    },
    {
      name: 'transport-knows-no-storage',
      severity: 'error',
      from: { path: '^src/rpc/' },
      to: { path: '^src/(db|cells)/' },
    },
    {
      name: 'objects-stand-alone',
      severity: 'error',
      comment: 'Domain types are what RPC contracts name; they depend on nothing but each other.',
      from: { path: '^src/objects/' },
      to: { path: '^src/', pathNot: '^src/objects/' },
    },
    {
      name: 'rpc-contracts-name-objects',
      severity: 'error',
      comment: 'RPC client stubs and contracts carry objects, never database rows.',
      from: { path: 'rpcapi\\.ts$' },
      to: { path: '^src/db/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
