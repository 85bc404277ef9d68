#!/usr/bin/env node
// The platform's command: the flags of CONTRACT §1 (`card-stream-server --port 8787 …`).
import '../dist/node/card-stream-server/src/main.js';
