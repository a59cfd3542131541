/**
 * Vitest globalSetup of the node project: one `npm start` for the test files that drive the
 * running service (console-browser, doctor-local), instead of one each.
 *
 * Started lazily: this setup only opens a loopback control address (provided to the files as
 * `sharedServiceControl`); the first file that asks (GET /service, `sharedService()` in
 * test/node/browser.ts) starts the service, the others wait for the same start. A run with
 * none of those files (a single file, the worker project alone) starts nothing, and the
 * service does not compete for CPU with the workerd files that run before the node project.
 * Stopped, and its state folder removed, when the run ends.
 *
 * What the files may share: each test makes its own users (fresh openids), the doctor's test
 * pushes are kept out of the console's counts and lists, and the console's wrong-token sign-in
 * and the doctor's wrong-token run fail at most four times together from one address (the
 * Sessions object locks at five, and any right token clears the count). A file that needs a
 * state of its own (quickstart: its own .dev.vars, what `npm start` prints from the start,
 * rules:push --local into its state folder) keeps its own `npm start`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { startLocal, type LocalService, type ServiceAddress } from './local-service'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let starting: Promise<LocalService> | undefined
  const control = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/service') {
      res.writeHead(404).end()
      return
    }
    starting ??= startLocal()
    starting.then(
      ({ url, api, token }) => {
        const address: ServiceAddress = { url, api, token }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(address))
      },
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
    )
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
  project.provide('sharedServiceControl', `http://127.0.0.1:${(control.address() as AddressInfo).port}`)
  return async () => {
    control.closeAllConnections()
    await new Promise<void>((resolve) => control.close(() => resolve()))
    const service = await starting?.catch(() => undefined)
    await service?.stop()
  }
}
