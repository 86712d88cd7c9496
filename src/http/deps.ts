/**
 * What every route plugin receives: resolved once at server start, so no request pays for
 * opening the Store or reading the secret.
 */
import type { App } from '../app.ts';
import type { Store } from '../store/store.ts';
import type { Background } from './background.ts';
import type { Pages } from './pages.ts';

export interface RouteDeps {
  app: App;
  store: Store;
  secret: string;
  pages: Pages;
  background: Background;
}
