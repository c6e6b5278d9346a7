//! bench/chart.svg: time per operation of the three engines (log scale) and
//! HTTP throughput against the ceiling, drawn with plotters.

use std::path::Path;

use plotters::prelude::*;

use crate::report::{thousands, time, ChartPoint};

const TEAMGATE: RGBColor = RGBColor(34, 130, 76);
const CEDAR: RGBColor = RGBColor(214, 132, 38);
const CASBIN: RGBColor = RGBColor(72, 96, 186);
const CEILING: RGBColor = RGBColor(140, 140, 140);

fn engine_color(engine: &str) -> RGBColor {
    match engine {
        "teamgate" => TEAMGATE,
        "cedar-policy" => CEDAR,
        "casbin" => CASBIN,
        _ => CEILING,
    }
}

pub fn draw(path: &Path, points: &[&ChartPoint]) -> Result<(), String> {
    let engines: Vec<(String, String, f64)> = points
        .iter()
        .filter_map(|p| match p {
            ChartPoint::Engine {
                operation,
                engine,
                ns,
            } => Some((operation.clone(), engine.clone(), *ns)),
            _ => None,
        })
        .collect();
    let throughput: Vec<(String, f64)> = points
        .iter()
        .filter_map(|p| match p {
            ChartPoint::Throughput { label, per_sec } => Some((label.clone(), *per_sec)),
            _ => None,
        })
        .collect();
    let root = SVGBackend::new(path, (1100, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (left, right) = root.split_horizontally(720);
    engine_panel(&left, &engines).map_err(|e| e.to_string())?;
    http_panel(&right, &throughput).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn engine_panel(
    area: &Area,
    bars: &[(String, String, f64)],
) -> Result<(), Box<dyn std::error::Error>> {
    if bars.is_empty() {
        return Ok(());
    }
    let lo = bars.iter().map(|b| b.2).fold(f64::MAX, f64::min) / 3.0;
    let hi = bars.iter().map(|b| b.2).fold(0.0, f64::max) * 30.0;
    let n = bars.len();
    let labels: Vec<String> = bars
        .iter()
        .map(|(op, engine, _)| format!("{} · {engine}", op.replace('_', " ")))
        .collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            "In process: time per operation (log scale, lower is better)",
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(210)
        .build_cartesian_2d((lo..hi).log_scale(), -0.5f64..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|y| {
            let i = (n as f64 - 1.0 - y).round();
            if (y - y.round()).abs() < 0.01 && i >= 0.0 && (i as usize) < n {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|x| time(*x))
        .x_desc("time per operation")
        .draw()?;
    for (i, (_, engine, ns)) in bars.iter().enumerate() {
        let y = n as f64 - 1.0 - i as f64;
        let color = engine_color(engine);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(lo, y - 0.36), (*ns, y + 0.36)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            time(*ns),
            (*ns * 1.15, y + 0.25),
            ("sans-serif", 12),
        )))?;
    }
    Ok(())
}

fn http_panel(area: &Area, bars: &[(String, f64)]) -> Result<(), Box<dyn std::error::Error>> {
    if bars.is_empty() {
        return Ok(());
    }
    let hi = bars.iter().map(|b| b.1).fold(0.0, f64::max) * 1.25;
    let n = bars.len();
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            "HTTP check, requests/s (higher is better)",
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0..hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 0.01 && i >= 0.0 && (i as usize) < n {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| thousands(*y))
        .draw()?;
    for (i, (label, per_sec)) in bars.iter().enumerate() {
        let x = i as f64;
        let color = if label.starts_with("teamgate") {
            TEAMGATE
        } else {
            CEILING
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x - 0.3, 0.0), (x + 0.3, *per_sec)],
            color.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            thousands(*per_sec),
            (x - 0.25, per_sec + hi * 0.04),
            ("sans-serif", 12),
        )))?;
    }
    Ok(())
}
