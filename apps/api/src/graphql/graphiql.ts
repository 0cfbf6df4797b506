import { NextFunction, Request, Response } from 'express';
import { readFileSync } from 'fs';
import { dirname, join } from 'path';

/**
 * GraphiQL served from the project's own node_modules: no CDN, so it works offline and behind
 * strict egress rules. GET /graphql from a browser gets the page; everything else goes to Apollo.
 */
const ASSETS: Record<string, { packageName: string; file: string; type: string }> = {
  'react.production.min.js': {
    packageName: 'react',
    file: 'umd/react.production.min.js',
    type: 'text/javascript',
  },
  'react-dom.production.min.js': {
    packageName: 'react-dom',
    file: 'umd/react-dom.production.min.js',
    type: 'text/javascript',
  },
  'graphiql.min.js': { packageName: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.min.css': { packageName: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

const cache = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let body = cache.get(name);
  if (!body) {
    // Found from the package's root: React's "exports" map does not export its umd/ files by path.
    const { packageName, file } = ASSETS[name];
    body = readFileSync(join(dirname(require.resolve(`${packageName}/package.json`)), file));
    cache.set(name, body);
  }
  return body;
}

export function graphiqlPage(graphqlPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>OMS GraphQL</title>
  <link rel="stylesheet" href="${graphqlPath}/assets/graphiql.min.css" />
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="${graphqlPath}/assets/react.production.min.js"></script>
  <script src="${graphqlPath}/assets/react-dom.production.min.js"></script>
  <script src="${graphqlPath}/assets/graphiql.min.js"></script>
  <script>
    const url = new URL('${graphqlPath}', window.location.href);
    const subscriptionUrl = url.href.replace(/^http/, 'ws');
    // Every request carries an API key: the Headers tab's Authorization goes with queries and
    // mutations, and authenticates the graphql-ws connection of a subscription.
    const fetcher = (params, options) => {
      const headers = (options && options.headers) || {};
      const authorization = headers.Authorization || headers.authorization;
      return GraphiQL.createFetcher({
        url: url.href,
        subscriptionUrl,
        wsConnectionParams: authorization ? { authorization } : {},
      })(params, options);
    };
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultEditorToolsVisibility: 'headers',
        defaultHeaders: '{\\n  "Authorization": "Bearer <an API key>"\\n}',
      }),
    );
  </script>
</body>
</html>`;
}

/** Express middleware mounted before Apollo at `graphqlPath`. */
export function graphiqlMiddleware(graphqlPath: string) {
  const page = graphiqlPage(graphqlPath);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET') return next();
    const assetMatch = /^\/assets\/([\w.-]+)$/.exec(req.path);
    if (assetMatch && Object.hasOwn(ASSETS, assetMatch[1])) {
      res
        .type(ASSETS[assetMatch[1]].type)
        .set('Cache-Control', 'public, max-age=86400')
        .send(asset(assetMatch[1]));
      return;
    }
    const wantsPage =
      req.path === '/' && req.accepts(['text/html', 'application/json']) === 'text/html' && !req.query.query;
    if (wantsPage) {
      res.type('text/html').send(page);
      return;
    }
    next();
  };
}
