#!/usr/bin/env python3
"""Generate the DOCX and PDF documents of the Parcelly help-centre test corpus.

The text of every document lives in this file; run it from any directory to
(re)write the .docx and .pdf files next to it:

    pip install python-docx reportlab
    python3 make_binary_docs.py

Output is deterministic (fixed timestamps, reportlab invariant mode), so
re-running it should not produce a diff.
"""

import datetime
import io
import os
import zipfile

from docx import Document
from docx.shared import Pt
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import (
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_DT = datetime.datetime(2025, 3, 1, 9, 0, 0)

# Block types: ("h1", text) ("h2", text) ("p", text) ("bullets", [..])
# ("steps", [..]) ("table", [header, row, ...]) ("pagebreak",)

DOCS = {}

# --------------------------------------------------------------------------
# DOCX documents
# --------------------------------------------------------------------------

DOCS["customs-declarations-guide.docx"] = [
    ("h1", "Customs declarations for international shipments"),
    ("p", "Every parcel that crosses a border needs a customs declaration that tells "
          "the destination country what is inside, what it is worth and where it was "
          "made. Parcelly fills in most of the declaration for you from the order, but "
          "a few details must come from you. Incomplete or vague declarations are the "
          "most common reason international parcels are held at customs."),
    ("h2", "Which customs form do I need?"),
    ("p", "The form depends on the carrier and the value of the shipment. Parcelly "
          "chooses the correct form automatically and prints it together with the "
          "label, or submits it electronically where the carrier allows."),
    ("table", [
        ["Form", "Used for", "Value limit", "How Parcelly handles it"],
        ["CN22", "Postal services (USPS, Royal Mail, Canada Post)", "Up to 400 USD / 270 GBP",
         "Printed on the 4x6 label"],
        ["CN23", "Postal services above the CN22 limit", "No limit",
         "Printed as a second page; use the 4x8 label format to fit both"],
        ["Commercial invoice", "Courier services (UPS, FedEx, DHL Express)", "No limit",
         "Sent electronically (paperless trade); print 3 copies if the destination does not accept paperless"],
        ["Pro forma invoice", "Samples, gifts and replacements not sold to the recipient", "No limit",
         "Tick 'Not for sale' on the customs screen"],
    ]),
    ("h2", "Information you need for every item"),
    ("bullets", [
        "A specific description, for example \"Women's cotton T-shirt\" rather than \"clothing\" or \"gift\".",
        "The HS tariff code (at least 6 digits).",
        "The country of origin, meaning where the item was manufactured, not where you ship from.",
        "Quantity, unit value and currency.",
        "Net weight per item.",
        "The reason for export: sale, gift, sample, return or repair.",
    ]),
    ("h2", "Finding HS codes"),
    ("p", "Save customs details once per product under Settings > Products > Customs and "
          "Parcelly reuses them for every order. The Suggest HS code button proposes a "
          "code from the product description; always check the suggestion. US exporters "
          "shipping goods worth more than 2,500 USD under a single Schedule B code must "
          "file Electronic Export Information (EEI) through AES. Parcelly files it for you "
          "and prints the resulting ITN on the commercial invoice."),
    ("h2", "Duties and taxes: DAP or DDP"),
    ("p", "By default international shipments are sent DAP (Delivered At Place, sometimes "
          "called DDU): the recipient pays any duties and import taxes before the parcel is "
          "handed over. Unexpected charges are a major cause of refused deliveries, so many "
          "merchants choose DDP (Delivered Duty Paid) instead. With DDP you pay the duties; "
          "Parcelly shows an estimated landed cost before you buy the label and the final "
          "amount is charged to your postage wallet when the carrier bills it, usually two "
          "to four weeks later. DDP is available with UPS, FedEx and DHL Express and adds a "
          "processing fee of 1.50 USD per shipment."),
    ("h2", "IOSS, UK VAT and VOEC numbers"),
    ("p", "If you are registered for the EU Import One-Stop Shop (IOSS), the UK low-value "
          "VAT scheme or the Norwegian VOEC scheme, enter your numbers under Settings > "
          "Customs > Tax IDs. Parcelly adds the right number to the electronic customs "
          "data of every eligible parcel, so your customers are not charged VAT a second "
          "time on delivery. Country-by-country thresholds are listed in the customs "
          "thresholds table in the help centre."),
    ("h2", "International returns"),
    ("p", "When a customer abroad sends an item back, the return label must carry its own "
          "customs declaration with the reason 'Returned goods', otherwise duties may be "
          "charged again when it re-enters your country. The returns portal creates these "
          "declarations automatically for UPS and DHL Express return labels. For postal "
          "returns, ask the customer to write 'Returned goods' on the CN22."),
    ("h2", "Common reasons for customs delays"),
    ("bullets", [
        "Vague descriptions such as 'merchandise', 'parts' or 'gift'.",
        "Missing recipient phone number or tax ID (required in Brazil, South Korea, India and others).",
        "Declared value that does not match the commercial invoice.",
        "Restricted goods, such as cosmetics containing alcohol or items with lithium batteries.",
    ]),
]

DOCS["dangerous-goods-and-restricted-items.docx"] = [
    ("h1", "Dangerous goods and restricted items"),
    ("p", "Many everyday products count as dangerous goods (hazmat) for shipping: perfume, "
          "nail polish, aerosols, power banks and anything containing a lithium battery. "
          "You are responsible for declaring them correctly. Carriers can refuse, return or "
          "destroy undeclared parcels, and regulators can fine the shipper."),
    ("p", "To tell Parcelly that a product is hazardous, open Settings > Products, select "
          "the product and tick Contains hazardous materials, then choose the category. "
          "Parcelly then hides services that cannot carry it and adds the required marks "
          "to the label."),
    ("h2", "Lithium batteries"),
    ("bullets", [
        "Batteries contained in equipment (UN3481), such as a phone or headphones, can be "
          "shipped by ground and air domestically if each lithium-ion cell is 20 Wh or less "
          "and each battery is 100 Wh or less.",
        "Batteries packed with equipment (UN3481), such as a camera with a spare battery in "
          "the box, follow the same limits and need the lithium battery mark on the outside.",
        "Loose batteries and power banks (UN3480) may only travel by ground. They cannot be "
          "sent by air or internationally with USPS.",
        "Damaged or recalled batteries must never be shipped through Parcelly.",
    ]),
    ("h2", "Which carriers accept what"),
    ("table", [
        ["Item", "USPS", "UPS", "FedEx", "DHL Express"],
        ["Perfume and cologne", "Ground Advantage only, limited quantity",
         "Ground, limited quantity", "Ground, limited quantity", "Not accepted without a DG contract"],
        ["Nail polish", "Ground Advantage only", "Ground, limited quantity",
         "Ground, limited quantity", "Not accepted"],
        ["Aerosols (hairspray, spray paint)", "Ground Advantage only", "Ground, limited quantity",
         "Ground, limited quantity", "Not accepted"],
        ["Lithium batteries in a device", "Yes, domestic and international", "Yes", "Yes",
         "Yes, with Section II mark"],
        ["Loose lithium batteries / power banks", "Ground Advantage, domestic only",
         "Ground, with hazmat contract", "Ground, with hazmat contract", "Not accepted"],
        ["Alcoholic drinks", "Not accepted", "Licensed shippers with an alcohol agreement",
         "Licensed shippers with an alcohol agreement", "Not accepted"],
        ["Dry ice", "Up to 5 lb", "Up to 2.5 kg by air", "Up to 2.5 kg by air", "Contract only"],
        ["Firearms and ammunition", "Not accepted", "Agreement required",
         "Agreement required", "Not accepted"],
    ]),
    ("h2", "Shipping a limited-quantity item"),
    ("steps", [
        "Flag the product as hazardous with the category Limited quantity (ground).",
        "Pack each inner container in a sturdy outer box. Liquids need their caps taped and "
          "the bottles wrapped so they cannot leak.",
        "When you buy the label, Parcelly only offers ground services.",
        "Stick the Limited Quantity mark (a black-and-white diamond, at least 4 x 4 in, or "
          "2 x 2 in on small parcels) on the side of the box. The old ORM-D marking is no longer accepted.",
        "Hand the parcel over at a counter or pickup; do not drop hazmat parcels in collection boxes.",
    ]),
    ("h2", "Items Parcelly never allows"),
    ("bullets", [
        "Explosives, fireworks and ammunition without a carrier agreement",
        "Flammable fuels such as gasoline, lighter fluid and camping gas",
        "Corrosives such as drain cleaner and battery acid",
        "Infectious substances and medical waste",
        "Illegal items, counterfeit goods and controlled substances",
    ]),
    ("h2", "What happens if dangerous goods are not declared?"),
    ("p", "Carriers inspect suspicious parcels. An undeclared hazmat parcel is usually held "
          "and returned at your cost, and in the United States the Department of "
          "Transportation can impose civil penalties of tens of thousands of dollars per "
          "violation. Repeated violations lead Parcelly to suspend label purchasing on the account."),
]

DOCS["inventory-and-stock-levels.docx"] = [
    ("h1", "Inventory and stock levels"),
    ("p", "Parcelly can keep track of how many units of each product you have at each "
          "ship-from location, deduct stock as you ship, and warn you before you run out. "
          "Inventory tracking is available on the Growth plan and above."),
    ("h2", "Turning on inventory tracking"),
    ("steps", [
        "Go to Inventory > Settings and switch on Track inventory.",
        "Choose the source of truth: Parcelly (recommended when you sell on several channels) or "
          "your Shopify store.",
        "Import your starting quantities with a CSV file containing the columns sku, location, "
          "quantity and bin. Download a pre-filled template from the import screen.",
        "Review the import preview and click Apply.",
    ]),
    ("h2", "On hand, committed and available"),
    ("p", "Each product shows three numbers. On hand is what is physically on your shelves. "
          "Committed is the quantity in orders that have been imported but not yet shipped. "
          "Available is on hand minus committed, and it is the number sent to your sales "
          "channels. Stock is deducted from on hand when a label is bought, not when an "
          "order is imported; voiding the label puts the units back."),
    ("h2", "Stock statuses"),
    ("table", [
        ["Status", "Meaning", "Shown when"],
        ["In stock", "Enough units to sell", "Available is above the low-stock threshold"],
        ["Low stock", "Time to reorder", "Available is at or below the threshold (default 5 units)"],
        ["Out of stock", "Nothing left to sell", "Available is 0"],
        ["Backordered", "More ordered than you have", "Committed is greater than on hand"],
        ["Discontinued", "Will not be reordered", "Set manually; hidden from the reorder report"],
    ]),
    ("h2", "Low-stock alerts"),
    ("p", "The default low-stock threshold is 5 units. Change it for all products under "
          "Inventory > Settings, or override it per SKU on the product page. Parcelly sends "
          "a daily digest email at 7:00 am location time listing everything that is low or "
          "out of stock, and can also post alerts to a Slack channel."),
    ("h2", "Bundles and kits"),
    ("p", "A bundle is a SKU made of other SKUs, for example a gift set containing a mug "
          "and two bags of coffee. Selling one bundle deducts each component. A bundle can "
          "contain up to 20 components, and its available quantity is calculated from the "
          "component that runs out first."),
    ("h2", "Adjusting stock"),
    ("p", "Use Inventory > Adjust stock to add or remove units. Every adjustment needs one "
          "of these reasons, and the history is kept for 2 years with the user and time:"),
    ("bullets", [
        "Received purchase order",
        "Returned to stock (added automatically when a return is marked as restocked)",
        "Damaged or expired",
        "Lost or stolen",
        "Cycle count correction",
    ]),
    ("h2", "Syncing stock to your shop"),
    ("p", "When Parcelly is the source of truth, available quantities are pushed to Shopify "
          "and WooCommerce every 10 minutes. Set a buffer (for example 2 units) under "
          "Inventory > Settings > Channel buffer to show slightly less stock online than you "
          "have, which protects against overselling during sync delays."),
]

DOCS["service-level-agreement.docx"] = [
    ("h1", "Parcelly Service Level Agreement"),
    ("p", "This Service Level Agreement (SLA) describes the availability and support "
          "commitments Parcelly makes to customers on the Pro and Enterprise plans. It "
          "forms part of the Parcelly Terms of Service and is effective from 1 January 2025. "
          "Customers on the Starter and Growth plans are supported on a best-effort basis."),
    ("h2", "1. Uptime commitment"),
    ("p", "Parcelly will make the web application and the REST API available at least "
          "99.9% of the time in each calendar month. Availability is measured by external "
          "monitoring from three regions every minute; a minute counts as unavailable when "
          "two or more regions cannot complete a test label purchase in the sandbox. Current "
          "and historical availability is published at status.parcelly.com."),
    ("h2", "2. Service credits"),
    ("p", "If we miss the uptime commitment, you are entitled to a credit against your "
          "monthly subscription fee:"),
    ("table", [
        ["Monthly uptime", "Service credit (share of that month's subscription fee)"],
        ["Below 99.9% but at least 99.0%", "10%"],
        ["Below 99.0% but at least 95.0%", "25%"],
        ["Below 95.0%", "50%"],
    ]),
    ("p", "Credits are capped at 50% of the monthly fee, do not apply to postage or usage "
          "charges, and are your only remedy for missed availability."),
    ("h2", "3. Exclusions"),
    ("bullets", [
        "Scheduled maintenance announced at least 72 hours ahead, limited to 4 hours per month "
          "and carried out on Sundays between 02:00 and 06:00 UTC.",
        "Outages of carrier systems, for example when a carrier's rating or label API is down.",
        "Problems caused by your own network, devices, integrations or misuse of the API.",
        "Features labelled beta or preview.",
        "Events beyond our reasonable control (force majeure).",
    ]),
    ("h2", "4. Support response times"),
    ("table", [
        ["Priority", "Example", "Pro", "Enterprise"],
        ["P1 Critical", "No labels can be printed at all", "1 hour, 24/7", "15 minutes, 24/7"],
        ["P2 High", "A major feature, such as an integration, is broken", "4 business hours", "1 hour"],
        ["P3 Normal", "A problem with a workaround", "1 business day", "4 business hours"],
        ["P4 Question", "How-to questions and feature requests", "2 business days", "1 business day"],
    ]),
    ("p", "Response time is the time until a support engineer first replies, not the time "
          "until the issue is resolved. Business hours are 8 am to 8 pm US Eastern time, "
          "Monday to Friday. Enterprise customers also have a named account manager."),
    ("h2", "5. How to claim a credit"),
    ("steps", [
        "Email sla@parcelly.com within 30 days after the end of the affected month.",
        "Include your account ID and the dates and times you experienced the outage.",
        "We confirm the claim against our monitoring data within 10 business days.",
        "Approved credits are applied to your next invoice. Credits are not paid out in cash.",
    ]),
    ("h2", "6. Carrier delivery times"),
    ("p", "This SLA covers Parcelly's software only. Parcelly does not guarantee carrier "
          "transit times. Refunds for late guaranteed services, such as Priority Mail Express, "
          "are requested from the carrier."),
]

# --------------------------------------------------------------------------
# PDF documents (explicit page breaks so page numbers are stable)
# --------------------------------------------------------------------------

DOCS["packing-slips-and-pick-lists.pdf"] = [
    ("h1", "Packing slips and pick lists"),
    ("p", "A packing slip is the document that goes inside the parcel. It lists the items "
          "in the order so your customer can check nothing is missing, and it is a good place "
          "for a thank-you note and your returns instructions. A pick list is for your team: "
          "it tells the picker which items to collect from the shelves, and in which order."),
    ("h2", "Printing packing slips"),
    ("steps", [
        "Select one or more orders in the Orders list.",
        "Click Print > Packing slips. For a batch, use Print all > Packing slips in the batch sidebar.",
        "The slips open as a PDF, or go straight to your document printer if you use the Print Agent.",
    ]),
    ("p", "You can also print the packing slip automatically every time a label is bought: "
          "turn on Settings > Printing > Print packing slip with label."),
    ("h2", "Paper sizes"),
    ("bullets", [
        "4 x 6 in on a thermal printer (a second label after the shipping label)",
        "Letter or A4 on an office printer",
        "Half-letter (5.5 x 8.5 in)",
        "Label + slip: a Letter or A4 sheet with the shipping label on the top half and the "
          "packing slip on the bottom half, for use with half-sheet label paper",
    ]),
    ("pagebreak",),
    ("h2", "Customising the packing slip template"),
    ("p", "Go to Settings > Printing > Packing slip and click Edit template. The editor shows "
          "a live preview with one of your recent orders."),
    ("bullets", [
        "Logo: PNG or JPG, at most 1 MB. For a sharp result upload it at 600 x 200 pixels.",
        "Fields: show or hide prices, SKUs, product images, bin locations and the order barcode.",
        "Message: a custom note of up to 500 characters, such as a thank-you or a discount code for the next order.",
        "Gift orders: tick Hide prices on gift orders to remove all prices when the customer marked the order as a gift.",
    ]),
    ("p", "The message and header can use placeholders:"),
    ("table", [
        ["Placeholder", "Replaced with"],
        ["{{order_number}}", "The order number from your sales channel"],
        ["{{order_date}}", "Date the order was placed"],
        ["{{customer_name}}", "Recipient's full name"],
        ["{{shipping_address}}", "Full delivery address"],
        ["{{gift_message}}", "Gift message entered at checkout, if any"],
        ["{{returns_url}}", "Link to your returns portal"],
        ["{{barcode}}", "Code 128 barcode of the order number, for scanning"],
    ]),
    ("p", "Growth accounts have one template per store. Pro accounts can create up to 10 "
          "templates and choose one per store or with an automation rule, for example a "
          "wholesale template without marketing messages."),
    ("pagebreak",),
    ("h2", "Pick lists"),
    ("p", "A pick list combines the items from many orders into one list, so a picker can "
          "walk the warehouse once instead of once per order. Select up to 200 orders and "
          "click Print > Pick list. Each line shows the SKU, product name, bin location, "
          "total quantity to pick and the number of orders that need it."),
    ("p", "Lines are sorted by bin location when bins are set in Inventory, otherwise by "
          "SKU. Choose between two picking styles under Settings > Printing > Pick list:"),
    ("bullets", [
        "Batch picking: one combined list for all selected orders. Fastest for many small orders.",
        "Order picking: one section per order, with the order barcode at the top of each section. "
          "Best for large orders with many different items.",
    ]),
    ("h2", "Troubleshooting"),
    ("bullets", [
        "Logo looks blurry: upload a larger image; 600 x 200 pixels is ideal.",
        "The slip is cut off at the edge: set the print scaling to 100% (Actual size).",
        "Characters such as Chinese, Arabic or Cyrillic show as boxes: set the template font to Noto Sans.",
        "The wrong template was used: check the automation rule log of the order.",
    ]),
]

DOCS["connecting-carrier-accounts.pdf"] = [
    ("h1", "Connecting your own carrier accounts"),
    ("p", "Every Parcelly account can use our pre-negotiated carrier rates straight away. "
          "If you already have a contract with a carrier at better rates, you can connect "
          "that account instead, or as well, and Parcelly shows both sets of rates side by side."),
    ("table", [
        ["", "Parcelly rates", "Your own carrier account"],
        ["Setup", "None", "Connect once in Settings > Carriers"],
        ["How postage is paid", "Postage wallet", "Invoiced by the carrier"],
        ["Voids and refunds", "Refunded to your wallet", "Handled on your carrier invoice"],
        ["Insurance claims", "Parcelly Protect", "Parcelly Protect or the carrier"],
        ["Rates", "Parcelly discounts", "Your negotiated contract"],
    ]),
    ("h2", "Before you start"),
    ("bullets", [
        "Have your carrier account number and the postcode of the account's billing address ready.",
        "Make sure you are an Owner or Admin in Parcelly.",
        "Some carriers ask for details from a recent invoice to prove you own the account.",
    ]),
    ("p", "All carrier accounts are added under Settings > Carriers > Add carrier account. "
          "The pages that follow explain what each carrier asks for."),
    ("pagebreak",),
    ("h2", "UPS"),
    ("steps", [
        "Choose UPS and enter your 6-character UPS account number, the account country and postcode.",
        "If UPS has invoiced the account in the last 90 days, enter the invoice number, invoice date, "
          "invoice amount and control ID from that invoice. UPS uses these to verify ownership.",
        "If the account has never been invoiced, leave the invoice fields empty.",
        "Accept the UPS technology agreement. Verification usually takes a few minutes but can take up to 24 hours.",
    ]),
    ("p", "Your negotiated UPS rates appear automatically once the account is verified. "
          "If you see published rates instead, ask your UPS representative to enable "
          "negotiated rates for API access."),
    ("h2", "FedEx"),
    ("steps", [
        "Choose FedEx and enter the 9-digit FedEx account number and the billing address exactly as "
          "FedEx has it on file.",
        "FedEx asks you to confirm ownership, either with a PIN sent by SMS or email to the account "
          "contact, or with the details of an invoice issued in the last 90 days.",
        "After the PIN is accepted, the account is ready. FedEx Ground and Home Delivery are enabled "
          "automatically; FedEx Freight services are not supported.",
    ]),
    ("pagebreak",),
    ("h2", "DHL Express"),
    ("p", "DHL Express needs API credentials in addition to your account number. Ask your "
          "DHL account manager for MyDHL API credentials (an API key and secret). Then enter "
          "your DHL export account number, which usually starts with 95 or 96, and the API "
          "key and secret in Parcelly. DHL typically issues credentials within 2 to 5 "
          "business days. Import accounts (usually starting with 96 for some countries) can "
          "be added as a second account for return labels."),
    ("h2", "Royal Mail"),
    ("p", "Royal Mail accounts connect through Click & Drop. You need your Online Business "
          "Account (OBA) number and a Click & Drop API key, which you create in Click & Drop "
          "under Settings > Integrations > Parcelly. Tracked 24 and Tracked 48 at contract "
          "prices need a Royal Mail business contract; without one Parcelly uses its own "
          "Royal Mail rates."),
    ("h2", "Canada Post"),
    ("p", "Enter your Canada Post customer number and the API username and password from "
          "the Canada Post Developer Program. Contract customers also enter their contract ID."),
    ("h2", "USPS"),
    ("p", "USPS accounts cannot be connected. All USPS labels are bought with Parcelly's "
          "USPS commercial pricing, which is usually cheaper than retail and counter prices."),
    ("pagebreak",),
    ("h2", "Troubleshooting connections"),
    ("bullets", [
        "\"Account not authorised for shipping\": the carrier account is not yet activated for "
          "label creation. Call the carrier's technical support and ask for API shipping access.",
        "\"Invalid credentials\": re-enter the details; for UPS and FedEx the postcode must match "
          "the billing address, not your warehouse.",
        "Rates differ from my contract: Parcelly caches contract rates for 24 hours. Click "
          "Refresh rates on the carrier card. Fuel and residential surcharges are included in the price shown.",
        "Labels are rejected after the account worked before: the carrier may have suspended "
          "the account for an overdue invoice.",
    ]),
    ("h2", "Disconnecting a carrier account"),
    ("p", "Open Settings > Carriers, click the account and choose Disconnect. Labels already "
          "created stay valid and can still be tracked, but voids for those labels must then "
          "be requested directly from the carrier. Automation rules that select a service "
          "from the disconnected account fall back to the cheapest available rate."),
]

DOCS["peak-season-shipping-guide.pdf"] = [
    ("h1", "Peak season shipping guide 2025"),
    ("p", "Between Black Friday and the end of December most merchants ship two to five "
          "times their usual volume, carriers are stretched, and one late parcel can turn "
          "into a refund request. This guide collects the dates and settings that matter most."),
    ("h2", "Plan ahead"),
    ("bullets", [
        "Order boxes, mailers and thermal labels early; suppliers sell out in November.",
        "Raise your postage wallet auto top-up amount and daily limit before big sales, so batches don't stall.",
        "Add temporary staff with the Packer role; remove them again in January.",
        "Create automation rules that switch slow services to faster ones as cut-off dates approach.",
        "Review your plan's monthly shipment allowance; labels over the allowance are charged per label.",
    ]),
    ("p", "Carrier peak surcharges start in early October and are listed on page 3. Rates "
          "shown in Parcelly always include them."),
    ("pagebreak",),
    ("h2", "Last recommended ship dates for delivery by 24 December"),
    ("p", "These are the last days to hand parcels to the carrier for delivery before "
          "Christmas to addresses in the contiguous United States. Alaska and Hawaii need two "
          "extra days. Dates are carriers' recommendations, not guarantees."),
    ("table", [
        ["Carrier and service", "Last ship date"],
        ["USPS Ground Advantage", "Wednesday 17 December"],
        ["USPS Priority Mail", "Thursday 18 December"],
        ["USPS Priority Mail Express", "Saturday 20 December"],
        ["UPS Ground", "Tuesday 16 December (check transit map)"],
        ["UPS 2nd Day Air", "Monday 22 December"],
        ["UPS Next Day Air", "Tuesday 23 December"],
        ["FedEx Ground / Home Delivery", "Tuesday 16 December"],
        ["FedEx 2Day", "Monday 22 December"],
        ["FedEx Standard Overnight", "Tuesday 23 December"],
        ["International economy services", "Monday 1 December"],
        ["International express services", "Thursday 11 December"],
    ]),
    ("p", "United Kingdom: Royal Mail Tracked 48 by Wednesday 17 December, Tracked 24 by "
          "Friday 19 December. Canada: Canada Post Expedited Parcel by Friday 12 December for "
          "national delivery."),
    ("p", "Tip: show a banner on your shop with your own cut-off date, one day earlier than "
          "the carrier date, to leave time for packing."),
    ("pagebreak",),
    ("h2", "Peak surcharges"),
    ("table", [
        ["Carrier", "Period", "Surcharge per parcel"],
        ["UPS", "5 Oct 2025 - 17 Jan 2026", "0.35 to 1.20 USD, residential Ground"],
        ["FedEx", "29 Sep 2025 - 18 Jan 2026", "0.40 to 1.25 USD, Home Delivery and Ground Economy"],
        ["USPS", "5 Oct 2025 - 18 Jan 2026", "Temporary price change of 0.30 to 1.00 USD on Ground Advantage and Priority Mail"],
        ["DHL Express", "15 Oct 2025 - 15 Jan 2026", "0.50 USD per kg on international shipments"],
    ]),
    ("h2", "Extended holiday returns"),
    ("p", "Gifts bought in November are often returned in January, after a normal 30-day "
          "return window has closed. Turn on Returns > Rules > Holiday return window to let "
          "orders placed between 1 November and 24 December be returned until 31 January."),
    ("h2", "Parcelly support over the holidays"),
    ("p", "From 24 November to 23 December support chat is open 8 am to 10 pm Eastern time, "
          "seven days a week. Support is closed on 25 December and 1 January; P1 critical "
          "issues for Pro and Enterprise customers are handled around the clock as usual."),
]

DOCS["privacy-and-data-retention.pdf"] = [
    ("h1", "Privacy and data retention"),
    ("p", "This document explains what personal data Parcelly processes, how long it is "
          "kept and where it is stored. For your customers' data (names, addresses and phone "
          "numbers on orders) you are the data controller and Parcelly acts as your "
          "processor. For your own account data, such as your team's names and billing "
          "details, Parcelly is the controller."),
    ("h2", "What data we process"),
    ("bullets", [
        "Order and shipment data imported from your sales channels: recipient name, address, email, phone number, items and values.",
        "Tracking events received from carriers.",
        "Account data: team members' names, emails, roles, sign-in history and IP addresses.",
        "Billing data: company details, tax IDs and payment method tokens (card numbers are held by our payment processor, never by Parcelly).",
        "Support conversations and files you send us.",
    ]),
    ("p", "Recipient data is shared with carriers only as far as needed to deliver the "
          "parcel, and with customs authorities for international shipments."),
    ("pagebreak",),
    ("h2", "How long we keep data"),
    ("table", [
        ["Data", "Retention period"],
        ["Recipient names, addresses, emails and phone numbers", "24 months after the ship date, then anonymised"],
        ["Label PDF and ZPL files", "12 months"],
        ["Package photos from the mobile app", "180 days"],
        ["Tracking events", "24 months"],
        ["API request logs", "30 days"],
        ["Webhook delivery logs", "30 days"],
        ["Audit log (Enterprise)", "1 year"],
        ["Invoices and billing records", "7 years, to meet tax law"],
        ["Support chat and email transcripts", "2 years"],
        ["Data of a closed account", "Deleted 30 days after closure"],
        ["Backups", "Rolling 35 days"],
    ]),
    ("p", "Anonymised shipments keep the carrier, service, weight, cost and postcode "
          "prefix so that your reports stay accurate, but can no longer be linked to a person."),
    ("h2", "Changing retention periods"),
    ("p", "Enterprise customers can shorten or extend the recipient data retention period "
          "to anywhere between 90 days and 7 years under Settings > Data > Retention. "
          "Shortening the period takes effect at the next nightly clean-up. On other plans "
          "the standard periods above apply."),
    ("pagebreak",),
    ("h2", "Where your data is stored"),
    ("p", "Accounts are hosted in one of two regions. The US region (Oregon, United States) "
          "is the default. The EU region (Frankfurt, Germany) can be chosen when signing up; "
          "all data of an EU-region account, including backups, stays in the European Union. "
          "Existing Enterprise accounts can ask to be migrated between regions; other accounts "
          "cannot change region after sign-up."),
    ("h2", "Subprocessors"),
    ("table", [
        ["Subprocessor", "Purpose", "Location"],
        ["Amazon Web Services", "Hosting and storage", "United States or EU, by region"],
        ["Stripe", "Subscription and wallet payments", "United States"],
        ["Postmark", "Transactional and tracking emails", "United States"],
        ["Twilio", "SMS notifications", "United States"],
        ["Intercom", "Support chat", "United States or EU"],
    ]),
    ("p", "We notify customers by email at least 30 days before adding a new subprocessor."),
    ("h2", "Data Processing Agreement and security incidents"),
    ("p", "Our Data Processing Agreement, including the EU Standard Contractual Clauses and "
          "the UK addendum, can be signed online under Settings > Legal > DPA. If we become "
          "aware of a personal data breach affecting your data, we notify the account Owner "
          "within 48 hours. Report security concerns to security@parcelly.com."),
]


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------

def write_docx(path, blocks):
    doc = Document()
    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            doc.add_heading(block[1], level=1)
        elif kind == "h2":
            doc.add_heading(block[1], level=2)
        elif kind == "p":
            doc.add_paragraph(block[1])
        elif kind == "bullets":
            for item in block[1]:
                doc.add_paragraph(item, style="List Bullet")
        elif kind == "steps":
            for item in block[1]:
                doc.add_paragraph(item, style="List Number")
        elif kind == "table":
            rows = block[1]
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
                    if r == 0:
                        for run in table.cell(r, c).paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph("")
        elif kind == "pagebreak":
            doc.add_page_break()
        else:
            raise ValueError(kind)
    title = next(b[1] for b in blocks if b[0] == "h1")
    cp = doc.core_properties
    cp.title = title
    cp.author = "Parcelly Support"
    cp.last_modified_by = "Parcelly Support"
    cp.created = FIXED_DT
    cp.modified = FIXED_DT
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    # Re-pack with fixed zip timestamps so the output is byte-for-byte stable.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 3, 1, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            out.writestr(zi, src.read(info.filename))


def _esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_pdf(path, blocks):
    ss = getSampleStyleSheet()
    body = ss["BodyText"]
    cell = ss["BodyText"].clone("cell", fontSize=9, leading=11)
    title = next(b[1] for b in blocks if b[0] == "h1")
    story = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            story.append(Paragraph(_esc(block[1]), ss["Heading1"]))
        elif kind == "h2":
            story.append(Paragraph(_esc(block[1]), ss["Heading2"]))
        elif kind == "p":
            story.append(Paragraph(_esc(block[1]), body))
        elif kind in ("bullets", "steps"):
            items = [ListItem(Paragraph(_esc(t), body), leftIndent=18) for t in block[1]]
            if kind == "bullets":
                story.append(ListFlowable(items, bulletType="bullet", start="\u2022", leftIndent=18))
            else:
                story.append(ListFlowable(items, bulletType="1", leftIndent=18))
        elif kind == "table":
            rows = [[Paragraph(_esc(c), cell) for c in row] for row in block[1]]
            ncols = len(rows[0])
            width = 6.5 * inch
            t = Table(rows, colWidths=[width / ncols] * ncols, repeatRows=1)
            t.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            story.append(Spacer(1, 4))
            story.append(t)
            story.append(Spacer(1, 8))
        elif kind == "pagebreak":
            story.append(PageBreak())
        else:
            raise ValueError(kind)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(inch, 0.6 * inch, "Parcelly Help Centre - " + title)
        canvas.drawRightString(7.5 * inch, 0.6 * inch, "Page %d" % doc.page)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        path, pagesize=letter, title=title, author="Parcelly Support",
        leftMargin=inch, rightMargin=inch, topMargin=inch, bottomMargin=inch,
        invariant=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def main():
    for name, blocks in DOCS.items():
        out = os.path.join(HERE, name)
        if name.endswith(".docx"):
            write_docx(out, blocks)
        else:
            write_pdf(out, blocks)
        print("wrote %s (%d bytes)" % (name, os.path.getsize(out)))


if __name__ == "__main__":
    main()
