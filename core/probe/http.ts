import * as http from "node:http";
import type { Exchange } from "./schema";

/**
 * The probe's only I/O: one plain-HTTP request, no credentials, no redirects followed, no keep-alive.
 * Every outcome (including refused / timeout / other transport errors) becomes an Exchange; this never
 * throws for network reasons.
 */

/** How much of a body is read: enough for an IIS detailed error page's title and a cab signature. */
const MAX_BODY = 16 * 1024;

export interface RequestOptions {
  method?: "GET" | "HEAD";
  timeoutMs: number;
  headers?: Record<string, string>;
}

export function exchange(url: string, options: RequestOptions): Promise<Exchange> {
  const method = options.method ?? "GET";
  const started = performance.now();
  const base = { method, url };
  const elapsed = () => Math.round(performance.now() - started);
  const transportFailure = (status: "refused" | "timeout" | "error", error: string): Exchange => ({
    ...base,
    status,
    error,
    wwwAuthenticate: [],
    contentType: null,
    location: null,
    substatus: null,
    hresult: null,
    sharePoint: false,
    bodyMagic: "",
    invalidHostname: false,
    ms: elapsed(),
  });

  return new Promise<Exchange>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (e: Exchange) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(e);
    };
    let req: http.ClientRequest;
    try {
      req = http.request(url, {
        method,
        agent: false,
        headers: { "User-Agent": "wsus-iis-probe (Windows-Update-Agent-like)", Accept: "*/*", Connection: "close", ...options.headers },
      });
    } catch (e) {
      return finish(transportFailure("error", (e as Error).message));
    }
    timer = setTimeout(() => {
      finish(transportFailure("timeout", `no answer within ${options.timeoutMs} ms`));
      req.destroy();
    }, options.timeoutMs);

    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") finish(transportFailure("refused", "ECONNREFUSED"));
      else finish(transportFailure("error", err.code ? `${err.code}: ${err.message}` : err.message));
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const body = Buffer.concat(chunks);
        const text = body.toString("latin1");
        // headersDistinct keeps `WWW-Authenticate: Negotiate` and `WWW-Authenticate: NTLM` apart.
        const www = res.headersDistinct["www-authenticate"];
        const location = res.headers.location;
        finish({
          ...base,
          status: res.statusCode ?? 0,
          error: null,
          wwwAuthenticate: www ?? [],
          contentType: res.headers["content-type"] ?? null,
          location: location ?? null,
          substatus: substatusOf(text, res.statusCode ?? 0),
          hresult: hresultOf(text),
          sharePoint: res.headers["microsoftsharepointteamservices"] !== undefined,
          bodyMagic: body.subarray(0, 8).toString("hex"),
          invalidHostname: isInvalidHostname(res.statusCode ?? 0, text),
          ms: elapsed(),
        });
        req.destroy();
      };
      res.on("data", (chunk: Buffer) => {
        if (size >= MAX_BODY) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_BODY) done();
      });
      res.on("end", done);
      res.on("error", done);
      res.on("aborted", done);
    });
    req.end();
  });
}

/** "HTTP Error 401.2 - Unauthorized" in an IIS detailed error page → "401.2" (only for the status sent). */
export function substatusOf(body: string, status: number): string | null {
  const m = /HTTP Error (\d{3})\.(\d{1,3})\b/.exec(body);
  if (!m || Number(m[1]) !== status) return null;
  return `${m[1]}.${m[2]}`;
}

/** "Error Code 0x80070003" (also across HTML tags) → "0x80070003". */
export function hresultOf(body: string): string | null {
  const m = /Error Code(?:\s|<[^>]*>|&nbsp;|:)*(0x[0-9a-fA-F]{8})/.exec(body);
  return m ? m[1].toLowerCase() : null;
}

/**
 * HTTP.sys's own 400 when no URL prefix (site binding) takes the request:
 * "<h2>Bad Request - Invalid Hostname</h2> … HTTP Error 400. The request hostname is invalid."
 * (captured in postmanlabs/postman-app-support#14137; docs/research/windows-powershell-openssh.md §12).
 */
export function isInvalidHostname(status: number, body: string): boolean {
  return status === 400 && /Invalid Hostname|request hostname is invalid/i.test(body);
}
