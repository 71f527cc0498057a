export {};
// `npm run bench` entry for the learn section: the benchmark itself is test/bench/learn.ts (also
// runnable alone: node --import tsx test/bench/learn.ts ../shared/data).
await import('./learn');
