// Starts GraphiQL on the page `GET /graphql` serves (api/src/graphiql.rs). It is a file of
// its own, not an inline script, so the page's Content-Security-Policy can forbid inline
// scripts. React, ReactDOM and GraphiQL are the UMD globals of the scripts loaded before it.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  // The placeholder the header editor starts with: it shows where the access token goes and
  // is never sent as it is (a request carrying it would be refused as a bad token).
  var tokenPlaceholder = 'Bearer <token>';
  var defaultHeaders = JSON.stringify({ Authorization: tokenPlaceholder }, null, 2);

  // Subscriptions use the same host as the page, over wss when the page came over https.
  var websocketScheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  var subscriptionUrl =
    websocketScheme + '//' + window.location.host + root.dataset.subscriptionEndpoint;

  // graphql-ws is part of GraphiQL's UMD bundle, so `subscriptionUrl` is all it needs; it
  // sends the header editor's headers as the `connection_init` payload, which is where the
  // server reads the caller of a websocket. Incremental delivery is off: the server answers
  // plain JSON, never multipart.
  var fetcher = GraphiQL.createFetcher({
    url: root.dataset.endpoint,
    subscriptionUrl: subscriptionUrl,
    enableIncrementalDelivery: false,
  });

  function withoutPlaceholder(headers) {
    var kept = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = headers[name];
      var isPlaceholder =
        name.toLowerCase() === 'authorization' &&
        typeof value === 'string' &&
        value.trim() === tokenPlaceholder;
      if (!isPlaceholder) {
        kept[name] = value;
      }
    });
    return kept;
  }

  function infoharborFetcher(params, options) {
    var headers = withoutPlaceholder(options && options.headers);
    return fetcher(params, Object.assign({}, options, { headers: headers }));
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: infoharborFetcher,
      defaultHeaders: defaultHeaders,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      // Headers hold access tokens: keep them out of localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
