// The admin console: plain JavaScript over the admin API (/admin/v1), no build step, no dependency.
// The bearer token is kept in this tab's sessionStorage only. A link may carry, after '#':
// token=..., client=<id> (looks the client up), test=<topic or filter>&as=<client id>&user=<name>&kind=uplink|subscription.
'use strict';

const API = '/admin/v1';
const POLL_MS = 2000;
const SPARK_POINTS = 60;
const $ = (id) => document.getElementById(id);

let previous = null;                           // the last cluster answer
const history = { uplink: [], downlink: [] };  // cluster-wide rates, newest last

function token() {
  return sessionStorage.getItem('adminToken') || '';
}

// A persistent session as the router keeps it: expiry, and what is queued for the client.
function sessionText(s) {
  if (!s) {
    return 'none';
  }
  const expiry = s.expiryInterval === 0 ? 'no session'
    : 'expiry ' + s.expiryInterval + ' s' + (s.expiresAt ? ', expires ' + new Date(s.expiresAt).toLocaleString() : '');
  return expiry + ', ' + s.queued + ' queued (' + s.queuedBytes + ' bytes), subscriptions: '
    + ((s.subscriptions || []).map(x => x.filter + ' (QoS ' + x.qos + ')').join(', ') || 'none');
}

async function call(method, path) {
  const headers = { 'Accept': 'application/json' };
  if (token()) {
    headers['Authorization'] = 'Bearer ' + token();
  }
  const response = await fetch(API + path, { method, headers });
  const body = await response.json().catch(() => ({ message: response.statusText }));
  if (!response.ok) {
    throw new Error(response.status + ': ' + (body.message || body.error || response.statusText));
  }
  return body;
}

function setStatus(text, ok) {
  const status = $('status');
  status.textContent = text;
  status.className = 'status ' + (ok ? 'ok' : 'bad');
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  row.appendChild(td);
}

function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '–';
  }
  return value.toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 1 : digits });
}

/**
 * Per instance id, the rate of each counter between the previous answer and this one (per second of
 * that instance's own clock, whatever this browser's timers did).
 */
function rates(cluster) {
  const result = {};
  if (!previous) {
    return result;
  }
  const before = {};
  previous.cluster.instances.forEach((i) => { before[i.instanceId] = i; });
  cluster.instances.forEach((i) => {
    const old = before[i.instanceId];
    const seconds = old ? (i.sampledAt - old.sampledAt) / 1000 : 0;
    if (!i.answered || !old || !old.answered || seconds <= 0) {
      return;
    }
    const r = {};
    Object.keys(i.counters).forEach((k) => {
      r[k] = Math.max(0, (i.counters[k] - (old.counters[k] || 0)) / seconds);
    });
    result[i.instanceId] = r;
  });
  return result;
}

function sum(perInstance, ...keys) {
  const values = Object.values(perInstance);
  if (values.length === 0) {
    return null;
  }
  return values.reduce((total, r) => total + keys.reduce((s, k) => s + (r[k] || 0), 0), 0);
}

function spark(id, series) {
  const svg = $(id);
  while (svg.firstChild) {
    svg.removeChild(svg.firstChild);
  }
  if (series.length < 2) {
    return;
  }
  const max = Math.max(...series, 1);
  const points = series.map((v, i) => (i * 120 / (SPARK_POINTS - 1)).toFixed(1) + ',' + (29 - v * 28 / max).toFixed(1));
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.appendChild(line);
}

function remember(name, value) {
  if (value === null) {
    return;
  }
  history[name].push(value);
  if (history[name].length > SPARK_POINTS) {
    history[name].shift();
  }
}

function renderRates(perInstance) {
  const uplink = sum(perInstance, 'uplink.written');
  const downlink = sum(perInstance, 'downlink.delivered');
  $('rate-uplink').textContent = fmt(uplink);
  $('rate-uplink-bad').textContent = fmt(sum(perInstance, 'uplink.refused', 'uplink.failed'));
  const bytes = sum(perInstance, 'uplink.bytes');
  $('rate-bytes').textContent = fmt(bytes === null ? null : bytes / 1024);
  $('rate-downlink').textContent = fmt(downlink);
  $('rate-downlink-bad').textContent = fmt(sum(perInstance, 'downlink.undelivered'));
  const opened = sum(perInstance, 'connections.opened');
  const closed = sum(perInstance, 'connections.closed');
  $('rate-connections').textContent = opened === null ? '–' : fmt(opened) + ' / ' + fmt(closed);
  remember('uplink', uplink);
  remember('downlink', downlink);
  spark('spark-uplink', history.uplink);
  spark('spark-downlink', history.downlink);
}

function renderCluster(cluster, perInstance) {
  const body = $('instances');
  body.textContent = '';
  cluster.instances.forEach((i) => {
    const row = document.createElement('tr');
    cell(row, i.instanceId + (i.self ? ' (this one)' : ''));
    if (!i.answered) {
      cell(row, 'not answering', 'down');
      for (let n = 0; n < 6; n++) {
        cell(row, '');
      }
    } else {
      const r = perInstance[i.instanceId] || {};
      cell(row, i.ready ? 'ready' : 'not ready', i.ready ? 'up' : 'down');
      cell(row, fmt(i.connections, 0));
      cell(row, i.routerPartitions.join(', ') || 'none');
      cell(row, fmt(i.routerClients, 0));
      cell(row, fmt(r['uplink.written']));
      cell(row, fmt(r['downlink.delivered']));
      cell(row, new Date(i.startedAt).toLocaleString());
    }
    body.appendChild(row);
  });
  $('cluster-summary').textContent = cluster.instances.length + ' instance(s), ' + fmt(cluster.connections, 0)
    + ' connection(s), ' + cluster.routerPartitions.length + ' partition(s) routed';
}

async function poll() {
  try {
    const cluster = await call('GET', '/cluster');
    const perInstance = rates(cluster);
    renderCluster(cluster, perInstance);
    renderRates(perInstance);
    previous = { cluster };
    setStatus('connected', true);
  } catch (e) {
    setStatus(e.message, false);
  }
}

function definitions(container, pairs) {
  container.textContent = '';
  const list = document.createElement('dl');
  pairs.forEach(([term, value, className]) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value === null || value === undefined || value === '' ? '–' : String(value);
    if (className) {
      dd.className = className;
    }
    list.appendChild(dt);
    list.appendChild(dd);
  });
  container.appendChild(list);
}

function showError(container, e) {
  container.textContent = '';
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = e.message;
  container.appendChild(p);
}

function subscriptions(list) {
  return (list || []).map((s) => s.filter + ' (QoS ' + s.qos + ')').join(', ') || 'none';
}

async function lookUp(clientId) {
  const out = $('client-result');
  const disconnect = $('client-disconnect');
  try {
    const c = await call('GET', '/clients/' + encodeURIComponent(clientId));
    disconnect.disabled = !c.connected;
    const router = c.router;
    definitions(out, [
      ['client id', c.clientId],
      ['connected', c.connected ? 'yes' : 'no', c.connected ? 'granted' : 'refused'],
      ['instance', c.instance],
      ['since', c.since ? new Date(c.since).toLocaleString() : null],
      ['protocol', c.protocolVersion ? 'MQTT ' + c.protocolVersion : null],
      ['user name', c.username],
      ['subscriptions', subscriptions(c.subscriptions)],
      ['connection id', c.connectionId],
      ['router', router ? 'partition ' + router.partition + ', routed by ' + router.routedBy
        + (router.connected ? ', knows it on ' + router.instance : ', knows it offline') : 'no answer'],
      ['session', sessionText(c.session)],
      ['not answering', (c.notAnswering || []).join(', ')],
    ]);
  } catch (e) {
    disconnect.disabled = true;
    showError(out, e);
  }
}

async function test(kind, clientId, user, topic) {
  const out = $('test-result');
  const query = new URLSearchParams({ clientId });
  if (user) {
    query.set('username', user);
  }
  query.set(kind === 'uplink' ? 'topic' : 'filter', topic);
  try {
    const t = await call('GET', '/test/' + kind + '?' + query.toString());
    if (kind === 'uplink') {
      definitions(out, [
        ['outcome', t.outcome + (t.reason ? ' (' + t.reason + ')' : ''), t.outcome === 'refused' ? 'refused' : 'written'],
        ['rule', t.rule ? t.rule.name + ' #' + t.rule.index + ': ' + t.rule.match : null],
        ['Kafka topic', t.kafkaTopic],
        ['record key', t.key],
        ['why', t.detail],
      ]);
    } else {
      definitions(out, [
        ['outcome', t.outcome + (t.reason ? ' (' + t.reason + ')' : ''), t.outcome === 'granted' ? 'granted' : 'refused'],
        ['granted QoS', t.grantedQos >= 0 ? t.grantedQos : null],
        ['allowed by', t.allowedBy],
      ]);
    }
  } catch (e) {
    showError(out, e);
  }
}

function fromLink() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has('token')) {
    sessionStorage.setItem('adminToken', params.get('token'));
  }
  if (location.hash) {
    window.history.replaceState(null, '', location.pathname + location.search); // the token leaves the address bar
  }
  if (params.has('client')) {
    $('client-id').value = params.get('client');
    lookUp(params.get('client'));
  }
  if (params.has('test')) {
    $('test-kind').value = params.get('kind') === 'subscription' ? 'subscription' : 'uplink';
    $('test-client').value = params.get('as') || '';
    $('test-user').value = params.get('user') || '';
    $('test-topic').value = params.get('test');
    test($('test-kind').value, $('test-client').value, $('test-user').value, params.get('test'));
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem('adminToken', $('token').value.trim());
    $('token').value = '';
    poll();
  });
  $('client-form').addEventListener('submit', (e) => {
    e.preventDefault();
    lookUp($('client-id').value.trim());
  });
  $('client-disconnect').addEventListener('click', async () => {
    const clientId = $('client-id').value.trim();
    if (!window.confirm('Disconnect ' + clientId + '? It may connect again at once.')) {
      return;
    }
    try {
      await call('DELETE', '/clients/' + encodeURIComponent(clientId) + '/connection');
    } catch (e) {
      showError($('client-result'), e);
      return;
    }
    setTimeout(() => lookUp(clientId), 500);
  });
  $('test-form').addEventListener('submit', (e) => {
    e.preventDefault();
    test($('test-kind').value, $('test-client').value.trim(), $('test-user').value.trim(), $('test-topic').value);
  });
  fromLink();
  poll();
  setInterval(poll, POLL_MS);
});
