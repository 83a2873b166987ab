import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// The component tests render Backstage's tables (and the estate page its charts) in jsdom:
// about a second each on an idle machine, several on a loaded 2-core CI machine. There,
// jest's 5 s per test and testing-library's 1 s for a `findBy…`/`waitFor` fail them for
// nothing but the load; a test that really fails still fails, only later.
jest.setTimeout(30_000);
configure({ asyncUtilTimeout: 15_000 });
