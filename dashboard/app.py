"""Loyalist dashboard: overview, segments, product affinities, scores, audiences.

Run with `make dashboard` (streamlit run dashboard/app.py). Every number comes from the serving
marts' snapshot (dashboard.data); each page is one function.
"""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.data import AUDIENCES, query


def _money(value) -> str:
    return f"{value:,.0f}"


def _calibration_chart(curve: pd.DataFrame) -> alt.LayerChart:
    """Observed rate against mean predicted probability per bin, over the diagonal of a perfect fit."""
    top = float(curve["bin_upper"].max())
    diagonal = alt.Chart(pd.DataFrame({"predicted": [0.0, top], "observed": [0.0, top]})).mark_line(
        color="gray", strokeDash=[4, 4]).encode(x="predicted", y="observed")
    measured = alt.Chart(curve).mark_line(point=True).encode(
        x=alt.X("mean_predicted", title="mean predicted probability"),
        y=alt.Y("observed_rate", title="observed rate"),
        tooltip=["bin", "customers", alt.Tooltip("mean_predicted", format=".3f"), alt.Tooltip("observed_rate", format=".3f")])
    return diagonal + measured


def overview():
    """Customers, revenue and margin, in all and by segment."""
    st.title("Overview")
    totals = query("select count(*) as customers, sum(monetary) as revenue, sum(margin) as margin, max(as_of) as as_of "
                   "from customer_360").iloc[0]
    left, middle, right = st.columns(3)
    left.metric("Customers", f"{int(totals['customers']):,}")
    middle.metric("Revenue", _money(totals["revenue"]))
    right.metric("Margin", _money(totals["margin"]))
    st.caption(f"As of {str(totals['as_of'])[:10]} · reads the serving marts' snapshot, refreshed after every pipeline run")
    segments = query("select segment_name, customers, revenue, margin, revenue_share, margin_share, "
                     "mean_purchase_probability from segment_summary order by revenue desc")
    st.subheader("Revenue and margin by segment")
    st.bar_chart(segments.set_index("segment_name")[["revenue", "margin"]], stack=False)
    st.dataframe(segments, hide_index=True, use_container_width=True)


def segments():
    """One segment at a time: its size, value, RFM segments and purchase bands."""
    st.title("Segment explorer")
    names = query("select segment_name from segment_summary order by customers desc")["segment_name"].tolist()
    chosen = st.selectbox("Segment", names)
    row = query("select * from segment_summary where segment_name = ?", [chosen]).iloc[0]
    left, middle, right = st.columns(3)
    left.metric("Customers", f"{int(row['customers']):,}")
    middle.metric("Revenue share", f"{row['revenue_share']:.1%}")
    right.metric("Hesitating customers", f"{int(row['hesitating_customers']):,}")
    st.subheader("RFM segments within it")
    st.bar_chart(query("select coalesce(rfm_segment, 'no order') as rfm_segment, count(*) as customers from customer_360 "
                       "where segment_name = ? group by all order by customers desc", [chosen]).set_index("rfm_segment"))
    st.subheader("Purchase bands")
    st.dataframe(query("select coalesce(purchase_band, 'not scored') as band, count(*) as customers, "
                       "avg(purchase_probability) as mean_probability from customer_360 where segment_name = ? "
                       "group by all order by customers desc", [chosen]), hide_index=True)


def affinities():
    """Basket and sequence rules with names; for sequence rules, the gaps between the purchases
    (the median gap over rules, and the whole gap histogram of one rule)."""
    st.title("Product affinities")
    kind = st.radio("Affinity", ["bought together", "bought next"], horizontal=True)
    levels = query("select distinct level from product_affinities where affinity = ? order by level", [kind])["level"].tolist()
    level = st.selectbox("Level", levels, index=levels.index("sku") if "sku" in levels else 0)
    rules = query("select antecedent_name, consequent_name, probability, lift, support, customers, median_gap_weeks "
                  "from product_affinities where affinity = ? and level = ? and segment_by = 'all' "
                  "order by lift desc limit 50", [kind, level])
    st.metric("Rules", f"{len(rules):,}" if len(rules) < 50 else "50+")
    st.dataframe(rules, hide_index=True, use_container_width=True)
    if kind == "bought next":
        st.subheader("Weeks from one purchase to the next (median per rule)")
        st.bar_chart(query("select cast(round(median_gap_weeks) as integer) as weeks, count(*) as rules from product_affinities "
                           "where affinity = 'bought next' and level = ? group by all order by weeks", [level]).set_index("weeks"))
        st.subheader("Weeks from one purchase to the next, one rule")
        top = query("select rule_rank, antecedent, consequent, antecedent_name || ' → ' || consequent_name as rule "
                    "from product_affinities where affinity = 'bought next' and level = ? and segment_by = 'all' "
                    "order by rule_rank limit 20", [level])
        if len(top):
            rule = top.iloc[st.selectbox("Rule (the 20 of highest lift)", range(len(top)), format_func=top["rule"].__getitem__)]
            gaps = query("select gap_weeks as weeks, order_pairs from product_affinity_gaps where level = ? and segment_by = 'all' "
                         "and antecedent = ? and consequent = ? order by weeks", [level, rule["antecedent"], rule["consequent"]])
            st.metric("Order pairs of the rule", f"{int(gaps['order_pairs'].sum()):,}")
            st.bar_chart(gaps.set_index("weeks"))
            st.caption("Every pair of a day the customer bought the first item and a later day within the window they bought "
                       "the second, by weeks between them (rounded); peaks are the usual gaps.")


def scores():
    """The bands, the distributions of the purchase and churn probabilities, and their calibration
    curves on the held-out window."""
    st.title("Scores")
    bands = query("select purchase_band, count(*) as customers, avg(purchase_probability) as mean_probability "
                  "from customer_360 where purchase_band is not null group by all order by mean_probability")
    columns = st.columns(len(bands) or 1)
    for column, band in zip(columns, bands.itertuples()):
        column.metric(str(band.purchase_band).capitalize(), f"{band.customers:,}")
    for score in ("purchase_probability", "churn_probability"):
        st.subheader(score.replace("_", " ").capitalize())
        histogram = query(f"select least(floor({score} * 20) / 20, 0.95) as bin, count(*) as customers from customer_360 "
                          f"where {score} is not null group by all order by bin")
        st.bar_chart(histogram.set_index("bin"))
    curves = query("select task, as_of, window_start, bin_lower, bin_upper, "
                   "printf('%.1f-%.1f', bin_lower, bin_upper) as bin, customers, mean_predicted, observed_rate "
                   "from score_calibration order by task desc, bin_lower")
    if len(curves):
        st.subheader("Calibration on the held-out window")
        for column, (task, curve) in zip(st.columns(curves["task"].nunique()), curves.groupby("task", sort=False)):
            column.metric(f"Held-out customers ({task})", f"{int(curve['customers'].sum()):,}")
            column.altair_chart(_calibration_chart(curve))
            column.dataframe(curve[["bin", "customers", "mean_predicted", "observed_rate"]], hide_index=True)
            column.caption(f"{task.capitalize()}: customers scored as of {str(curve['window_start'].iloc[0])[:10]}, outcome "
                           f"seen up to {str(curve['as_of'].iloc[0])[:10]}. The window also fits the calibration, so this "
                           "curve shows the fit; `loyalist backtest` gives the independent check.")


def audiences():
    """Pick an audience, see who is in it, export it as CSV."""
    st.title("Audience builder")
    label = st.selectbox("Audience", list(AUDIENCES))
    members = query(f"select * from {AUDIENCES[label]} order by customer_id")
    st.metric("Customers", f"{len(members):,}")
    st.download_button("Export CSV", members.to_csv(index=False), file_name=f"{AUDIENCES[label]}.csv", mime="text/csv")
    st.dataframe(members.head(500), hide_index=True, use_container_width=True)


PAGES = [st.Page(overview, title="Overview", default=True),  # the root URL
         st.Page(segments, title="Segments", url_path="segments"),
         st.Page(affinities, title="Affinities", url_path="affinities"),
         st.Page(scores, title="Scores", url_path="scores"),
         st.Page(audiences, title="Audiences", url_path="audiences")]

if __name__ == "__main__":
    st.set_page_config(page_title="Loyalist", layout="wide")
    st.navigation(PAGES).run()
