// GrowthBook's trackingCallback sending each exposure to orgloop's event ingest.
export function orgloopTracking(orgloopUrl, sdkKey, pending = []) {
  return (experiment, result) => {
    const exposure = {
      id: crypto.randomUUID(),
      type: "exposure",
      unit: String(result.hashValue),
      timestamp: new Date().toISOString(),
      experiment: experiment.key,
      variant: result.key,
    };
    const sent = fetch(`${orgloopUrl}/api/v1/events`, {
      method: "POST",
      headers: { Authorization: `Bearer ${sdkKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ events: [exposure] }),
    });
    pending.push(sent.then((response) => response.json()));
  };
}
