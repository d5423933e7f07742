//! The engine's spans and metrics sent over OTLP (HTTP, protobuf) to the collector that
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or the per-signal `..._TRACES_ENDPOINT` and
//! `..._METRICS_ENDPOINT`) names, with OpenTelemetry's other `OTEL_*` variables as its SDK reads
//! them (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`, ...).
//! Without an endpoint, or with `OTEL_SDK_DISABLED=true`, nothing is set up. A collector that
//! cannot be reached costs the run nothing but a warning: telemetry never fails a migration.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{MetricExporter, Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt as _;

/// What sends the spans and metrics; dropping it sends what is left.
pub struct Telemetry {
    spans: SdkTracerProvider,
    metrics: SdkMeterProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        // Each sends what it holds before it stops.
        if let Err(e) = self.spans.shutdown() {
            eprintln!("warning: OpenTelemetry: the last spans were not sent: {e}");
        }
        if let Err(e) = self.metrics.shutdown() {
            eprintln!("warning: OpenTelemetry: the last metrics were not sent: {e}");
        }
    }
}

/// Whether the environment asks for OTLP export.
fn wanted() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let disabled =
        std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
    !disabled
        && [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        ]
        .iter()
        .any(|name| set(name))
}

/// Sets up the export when the environment asks for it, as `service` (unless
/// `OTEL_SERVICE_NAME` names another).
pub fn init(service: &'static str) -> Option<Telemetry> {
    if !wanted() {
        return None;
    }
    match build(service) {
        Ok(telemetry) => Some(telemetry),
        Err(e) => {
            eprintln!("warning: OpenTelemetry export is off: {e}");
            None
        }
    }
}

fn build(service: &'static str) -> Result<Telemetry, Box<dyn std::error::Error>> {
    let resource = match std::env::var("OTEL_SERVICE_NAME") {
        Ok(name) if !name.trim().is_empty() => Resource::builder().build(),
        _ => Resource::builder().with_service_name(service).build(),
    };
    let spans = SdkTracerProvider::builder()
        .with_batch_exporter(
            SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .build()?,
        )
        .with_resource(resource.clone())
        .build();
    let metrics = SdkMeterProvider::builder()
        .with_periodic_exporter(
            MetricExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .build()?,
        )
        .with_resource(resource)
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(spans.tracer(service)))
        .with(tracing_opentelemetry::MetricsLayer::new(metrics.clone()));
    tracing::subscriber::set_global_default(subscriber)?;
    Ok(Telemetry { spans, metrics })
}
