/** The search box's browser module (search-client.js), published beside the stylesheet under a content-named path. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SEARCH_CLIENT_JS = readFileSync(path.join(import.meta.dirname, 'search-client.js'), 'utf8');
export const SEARCH_CLIENT_PATH = 'search.js';
