// What the client asks of each way it hears of changes, one file each: the WebSocket
// (socket.ts), HTTP polling (polling.ts) and, in a tab that does not hold the socket, the
// holder's tab (tabs.ts). Each reports what it hears through the events it was made with;
// the client turns that into cards, and its connection (connection.ts) alone into a state.
export interface Transport {
  /** Starts: connecting, polling, or joining the election of the page's tabs (a TabTransport hears their channel from when it is made). */
  start(): void;
  /** Stops: no timer, socket or channel of it is left. */
  stop(): void;
  /** Whether changes come through it as they happen. */
  readonly live: boolean;
}
