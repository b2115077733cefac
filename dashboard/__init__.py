"""The marketers' dashboard (Streamlit): reads only the serving marts' snapshot."""
