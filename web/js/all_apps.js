// "All my apps": besides the app the page is signed in to, one WebSocket per other app the user
// may read, each a viewer with the page's filter, feeding its live entries into the same list.
// Rows carry their app (LogEntry.appId), which the list shows in this mode. Live only: history
// and metrics stay those of the page's own app.
import { Connection } from './connection.js';

export class AllApps {
  // `onEntries(entries)`: live entries of another app; `filterMessage()`: the page's filter.
  // `onLive(n)`: how many of the other apps' viewers are signed in, after each change.
  constructor({ onEntries, filterMessage, onLive = () => {} }) {
    this.onEntries = onEntries;
    this.onLive = onLive;
    this.filterMessage = filterMessage;
    this.connections = new Map();  // appId -> Connection
  }

  get active() { return this.connections.size > 0; }

  // Opens a viewer for each app of `apps` (from GET /api/v1/apps) other than `current` that is
  // active and readable.
  start(session, apps, current) {
    this.stop();
    for (const app of apps) {
      if (app.id === current || !app.active || !app.permissions.includes('read')) continue;
      const connection = new Connection({
        onState: () => this.onLive([...this.connections.values()].filter((c) => c.live).length),
        onAuthenticated: () => {
          const filter = this.filterMessage();
          if (filter) connection.send(filter);
        },
        onAuthError: () => connection.stop(),
        onMessage: (msg) => {
          if (msg.type === 'logs' && !msg.history && Array.isArray(msg.payload)) this.onEntries(msg.payload);
        },
      });
      connection.start(session.url, { userId: session.userId, appId: app.id, token: session.token });
      this.connections.set(app.id, connection);
    }
    return this.connections.size;
  }

  // The page's filter changed: every other app's viewer gets it too.
  send(message) {
    for (const connection of this.connections.values()) connection.send(message);
  }

  stop() {
    const connections = [...this.connections.values()];
    this.connections.clear();
    for (const connection of connections) connection.stop();
    this.onLive(0);
  }
}
