// The floor for the sends bench: a bare fastify POST route that parses a JSON body and
// answers 201 with JSON, with no store, no auth and no schema.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/send', async (request, reply) => reply.code(201).send({ ok: true, flows: (request.body as { flows?: unknown[] }).flows?.length ?? 0 }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening on ${address}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
